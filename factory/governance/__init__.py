"""Governance: answer from the repository alone what is in use, on what data, how it is governed.

- `policy`: the governance policy (conf/governance/policy.yaml) and the card fields it requires.
- `snapshot`: read the project's files in the working tree or at a Git revision.
- `lineage`: where a build or a released version came from, down to its raw sources.
- `inventory`: one row per use case (owner, status, data, metrics, monitoring) and its queries.
- `audit`: the governance gaps of every use case, each with its fix.
- `dashboard`: a static HTML site of the KPIs, the inventory and a page per use case.
"""
