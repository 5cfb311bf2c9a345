"""A declarative GitOps model factory: use cases in YAML, compiled to DVC pipelines."""

__version__ = "0.1.0"
