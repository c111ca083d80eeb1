"""The benchmarks behind `synface bench`: render throughput (`render`), the training loop's throughput
(`train`) and the rendered faces' realism (`realism`). Above the library they measure; the pipeline
never imports them. The GPU checks (`synface.train.gpu_checks`) build on `train` and keep their path,
the one `python -m synface.train.gpu_checks` runs."""
