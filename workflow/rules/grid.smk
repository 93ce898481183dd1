rule grid:
    input:
        hits=rules.hits_to_parquet.output.hits,
        events=rules.hits_to_parquet.output.events,
        geometry=rules.geometry.output.pmts,
    output:
        grid="results/grid/{sample}/{chunk}.grid",
        index="results/grid/{sample}/{chunk}.index.parquet",
        meta="results/grid/{sample}/{chunk}.meta.json",
    log:
        "logs/grid/{sample}/{chunk}.log",
    benchmark:
        "results/benchmarks/grid/{sample}/{chunk}.tsv"
    params:
        grid=config.get("grid", {}),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/grid.py"


rule features:
    input:
        hits=rules.hits_to_parquet.output.hits,
        events=rules.hits_to_parquet.output.events,
        geometry=rules.geometry.output.pmts,
    output:
        features="results/features/{sample}/{chunk}.parquet",
    log:
        "logs/features/{sample}/{chunk}.log",
    benchmark:
        "results/benchmarks/features/{sample}/{chunk}.tsv"
    params:
        baselines=config.get("baselines", {}),
        photon_speed_mm_per_ns=config["detector"]["photon_speed_mm_per_ns"],
        ls_radius_mm=config["detector"]["ls_radius_mm"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/features.py"
