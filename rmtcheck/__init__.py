"""rmtcheck: verify the theory of SGD stability and machine unlearning, exactly and by simulation."""
__version__ = "0.1.0"
