"""Evidence sources: attaching them, their archived snapshots and the link checks that follow."""
