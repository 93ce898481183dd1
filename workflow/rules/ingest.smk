def ingest_input(wildcards):
    sample_cfg = config["samples"][wildcards.sample]
    if sample_cfg["source"] == "external":
        return {"root": sample_cfg["files"][int(wildcards.chunk)], "geometry": rules.geometry.output.pmts}
    return {"root": rules.simulate.output.root, "geometry": rules.geometry.output.pmts}


def reader_settings(wildcards):
    """The ROOT reader settings: the global `reader` section, updated by the sample's own `reader`."""
    settings = dict(config.get("reader", {}))
    settings.update(config["samples"][wildcards.sample].get("reader", {}))
    return settings


def response_settings(wildcards):
    """The detector response to apply to external photon hits, or None."""
    if reader_settings(wildcards).get("apply_response"):
        return config["detector"]
    return None


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
        runtime=30,
    script:
        "../scripts/hits_to_parquet.py"
