rule plots:
    input:
        unpack(task_evaluations),
    output:
        figures=report(
            directory("results/plots/{task}"),
            patterns=["{figure}.png"],
            caption="../report/figure.rst",
            category="{task}",
            subcategory="Figures",
            labels={"task": "{task}", "figure": "{figure}"},
        ),
    log:
        "logs/plots/{task}.log",
    benchmark:
        "results/benchmarks/plots/{task}.tsv"
    params:
        models=plotted_models,
        plots=config.get("plots", {}),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/plots.py"


rule tables:
    input:
        unpack(task_evaluations),
    output:
        csv="results/tables/{task}_comparison.csv",
        markdown="results/tables/{task}_comparison.md",
        html=report(
            "results/tables/{task}_comparison.html",
            caption="../report/table.rst",
            category="{task}",
            subcategory="Tables",
            labels={"task": "{task}", "table": "comparison"},
        ),
    log:
        "logs/tables/{task}.log",
    benchmark:
        "results/benchmarks/tables/{task}.tsv"
    params:
        models=plotted_models,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/tables.py"


rule event_displays:
    input:
        events=chunk_paths("results/events/{sample}/{chunk}.parquet", "atmospheric")
        if "atmospheric" in config["samples"]
        else [],
        hits=chunk_paths("results/hits/{sample}/{chunk}.parquet", "atmospheric")
        if "atmospheric" in config["samples"]
        else [],
        geometry=rules.geometry.output.pmts,
    output:
        displays=report(
            directory("results/plots/event_displays"),
            patterns=["{display}.png"],
            caption="../report/event_display.rst",
            category="Event displays",
            labels={"event": "{display}"},
        ),
    log:
        "logs/event_displays/event_displays.log",
    benchmark:
        "results/benchmarks/event_displays/event_displays.tsv"
    params:
        plots=display_settings(),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/event_displays.py"


rule environment:
    output:
        page=report(
            "results/report/environment.html",
            caption="../report/environment.rst",
            category="Environment",
            labels={"record": "versions and config"},
        ),
    log:
        "logs/environment/environment.log",
    params:
        config=config,
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/environment.py"
