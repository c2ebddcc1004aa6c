"""Working together on a claim: notes and mentions, checklists, tags and notifications (issue 16).

Below review: the workflow calls it (a required task blocks submit; a transition writes its
notifications in its own transaction); it never changes a claim's status itself.
"""
