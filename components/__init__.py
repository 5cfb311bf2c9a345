"""The shared component library: sources, transforms, features, models and metrics.

Every module registers exactly one component (or holds private helpers, named with a
leading underscore); `factory.registry.load_catalogue` discovers them with pkgutil.
"""
