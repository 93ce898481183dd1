rule flux_table:
    output:
        tables=directory("results/flux/honda2014_kamioka"),
    log:
        "logs/flux_table/flux_table.log",
    benchmark:
        "results/benchmarks/flux_table/flux_table.tsv"
    params:
        flux=config["samples"].get("atmospheric", {}).get("flux", {}),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/flux_table.py"


rule simulate:
    input:
        unpack(simulation_inputs),
    output:
        root=maybe_temp("results/sim/{sample}/{chunk}.root"),
    log:
        "logs/simulate/{sample}/{chunk}.log",
    benchmark:
        "results/benchmarks/simulate/{sample}/{chunk}.tsv"
    params:
        sample=sample_settings,
        chunk=chunk_settings,
        detector=config["detector"],
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/simulate.py"


rule validate_simulation:
    input:
        geometry=rules.geometry.output.pmts,
    output:
        figures="results/validation/simulation/figures.json",
    log:
        "logs/validate_simulation/validate_simulation.log",
    benchmark:
        "results/benchmarks/validate_simulation/validate_simulation.tsv"
    params:
        detector=config["detector"],
        validation=config.get("validation", {}).get("simulation", {}),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/validate_simulation.py"


rule validate_generator:
    input:
        flux=rules.flux_table.output.tables,
        events=chunk_paths("results/events/{sample}/{chunk}.parquet", "atmospheric")
        if "atmospheric" in config["samples"]
        else [],
        hits=chunk_paths("results/hits/{sample}/{chunk}.parquet", "atmospheric")
        if "atmospheric" in config["samples"]
        else [],
        geometry=rules.geometry.output.pmts,
    output:
        figures="results/validation/generator/figures.json",
    log:
        "logs/validate_generator/validate_generator.log",
    benchmark:
        "results/benchmarks/validate_generator/validate_generator.tsv"
    params:
        generator=config["samples"].get("atmospheric", {}),
        validation=config.get("validation", {}).get("generator", {}),
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/validate_generator.py"
