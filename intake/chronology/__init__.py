"""The chronology: from indexed events to one ordered, hashed timeline."""
