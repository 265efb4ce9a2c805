"""站内消息: what happened to a person's item, told to that person (issue 17 §3)."""
