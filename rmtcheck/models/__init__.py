"""Small models with analytic gradients (NumPy)."""
