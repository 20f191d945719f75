"""What every Vigie process runs on: settings, database, migrations, territories, auth, HTTP
errors, health and metrics, serving, topic creation, child processes. It knows no service."""
