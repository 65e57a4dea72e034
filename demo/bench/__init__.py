"""`make bench`'s measurements: pages through the real middleware (pages), the reminder sweep at
scale (reminders), and the URLconf that adds the baseline page to the site's (urls)."""
