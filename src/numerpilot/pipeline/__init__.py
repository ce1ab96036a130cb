"""Use cases composed from the layers below: train, validate, predict, submit, demo."""
