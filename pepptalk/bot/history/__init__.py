"""The history pages on the web: signing in with Slack or Microsoft, sessions, and the pages."""
