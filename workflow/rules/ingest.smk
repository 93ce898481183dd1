rule hits_to_parquet:
    input:
        unpack(ingest_input),
    output:
        hits=maybe_temp("results/hits/{sample}/{chunk}.parquet"),
        events="results/events/{sample}/{chunk}.parquet",
    log:
        "logs/hits_to_parquet/{sample}/{chunk}.log",
    benchmark:
        "results/benchmarks/hits_to_parquet/{sample}/{chunk}.tsv"
    params:
        reader=reader_settings,
        response=response_settings,
        trigger=config["detector"]["trigger"],
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/hits_to_parquet.py"
