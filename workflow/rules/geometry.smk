rule geometry:
    output:
        pmts="results/geometry/pmts.parquet",
    log:
        "logs/geometry/geometry.log",
    benchmark:
        "results/benchmarks/geometry/geometry.tsv"
    params:
        geometry=config["geometry"],
        pmt_types=config["detector"]["pmt_types"],
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/geometry.py"
