rule split:
    input:
        events=sample_events,
    output:
        **{name: f"results/splits/{{task}}/{name}.parquet" for name in ("train", "val", "test")},
    log:
        "logs/split/{task}.log",
    benchmark:
        "results/benchmarks/split/{task}.tsv"
    params:
        task=task_settings,
        seed=config["seed"],
    wildcard_constraints:
        task="muon_direction|flavour",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/split.py"
