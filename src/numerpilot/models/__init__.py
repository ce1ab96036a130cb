"""LightGBM ensemble training and prediction, and the model store."""
