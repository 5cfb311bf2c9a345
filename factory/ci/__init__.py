"""The steps of the CI/CD workflows, one module each.

- `plan`: the use cases a change from a base revision to HEAD affects.
- `verify`: rebuild from a clean clone and compare every output with dvc.lock.
- `report`: the pull request comment (metrics, gates preview, data, plots) in Markdown.
- `release`: on main, release every affected use case per its policy, with a summary.
"""
