"""Benchmarks run by ``make bench``. Each module ``bench/<name>.py`` defines ``main(argv)``;
results are printed as Rich tables, side by side with a baseline measured in the same run."""
