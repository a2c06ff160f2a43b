from django_q.management.commands import qcluster

from webhooks.engine.shutdown import sigterm_held_for_the_cluster


class Command(qcluster.Command):
    """django-q2's `qcluster`, which stops cleanly on SIGTERM to its whole process group (what
    systemd sends by default), not only on SIGTERM to its main process: webhooks.engine.shutdown."""

    def handle(self, *args, **options) -> None:
        # django-q2's command returns once the cluster runs; the main process then waits for its
        # sentinel (multiprocessing joins it at exit) and stops it on SIGTERM, unblocked here.
        with sigterm_held_for_the_cluster():
            super().handle(*args, **options)
