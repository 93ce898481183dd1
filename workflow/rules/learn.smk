rule train:
    input:
        unpack(model_inputs),
    output:
        summary="results/models/{task}/{model}/training_summary.json",
        training_log="results/models/{task}/{model}/training_log.csv",
    log:
        "logs/train/{task}/{model}.log",
    benchmark:
        "results/benchmarks/train/{task}/{model}.tsv"
    params:
        task=task_settings,
        model=model_settings,
        training=training_settings,
        seed=config["seed"],
    threads: training_threads
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=gpus_of_model,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/train.py"


rule evaluate:
    input:
        unpack(evaluation_inputs),
    output:
        predictions="results/eval/{task}/{model}/predictions.parquet",
        metrics="results/eval/{task}/{model}/metrics.json",
    log:
        "logs/evaluate/{task}/{model}.log",
    benchmark:
        "results/benchmarks/evaluate/{task}/{model}.tsv"
    params:
        task=task_settings,
        model=model_settings,
        evaluation=config.get("evaluation", {}),
        seed=config["seed"],
    threads: evaluation_threads
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/environment.yaml"
    script:
        "../scripts/evaluate.py"
