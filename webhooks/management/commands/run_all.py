import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Development: run the web server and one qcluster together (Ctrl+C stops both)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        # SIGTERM must unwind through `finally` too, or the cluster would be orphaned.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"])
        self.stdout.write(f"qcluster started (pid {cluster.pid}); web server on http://{addrport}/")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            cluster.send_signal(signal.SIGTERM)
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cluster.kill()
