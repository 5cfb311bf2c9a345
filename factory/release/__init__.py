"""Release to production through Git: gates, versions and stages as GTO tags, scoring from a tag.

- `records`: the release record kept in each version tag's message.
- `gates`: absolute and champion gates, pure functions of metrics.
- `registry_state`: versions and stage assignments read from and written as GTO tags.
- `workflow`: plan a release (pure), then execute it; promote, rollback, list.
- `scoring`: score data with a released model fetched from the DVC remote.
"""
