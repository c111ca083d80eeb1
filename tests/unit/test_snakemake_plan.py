"""Which stage output (a file, or a folder holding it) a planned job's input lies in."""

from __future__ import annotations

from synface.snakemake_plan import boundary_index, inside


def test_a_path_lies_in_the_first_listed_boundary_that_holds_it():
    index = boundary_index(["results/metrics/Real", "data/test/lfw", "results/metrics", "data/test/lfw"])
    assert inside("results/metrics/Real/seed0/metrics.json", index) == "results/metrics/Real"
    assert inside("results/metrics/Syn_1K_50/seed0/metrics.json", index) == "results/metrics"
    assert inside("data/test/lfw", index) == "data/test/lfw"  # the boundary itself
    assert index[("data", "test", "lfw")] == (1, "data/test/lfw")  # a repeat keeps its first place


def test_a_path_beside_a_boundary_lies_in_none():
    index = boundary_index(["data/test/lfw", "results/metrics"])
    assert inside("data/test/lfw_layout/pairs.csv", index) is None  # a shared prefix of the name is not a folder
    assert inside("results", index) is None  # a folder above a boundary
    assert inside("models/Real/seed0/model.pt", index) is None
