from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared tools every app uses (roles, access rules, optimistic concurrency, the form-submit
    helper, CSV responses, the security log and session rules); it knows no part of the domain."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_migrate, post_save, pre_save

        from . import figures_cache, security, sessions

        post_migrate.connect(figures_cache.install, sender=self, dispatch_uid="core.figures_cache.install")

        user_logged_in.connect(sessions.on_logged_in, dispatch_uid="core.sessions.on_logged_in")
        user_logged_out.connect(sessions.on_logged_out, dispatch_uid="core.sessions.on_logged_out")
        user_logged_in.connect(security.on_logged_in, dispatch_uid="core.security.on_logged_in")
        user_logged_out.connect(security.on_logged_out, dispatch_uid="core.security.on_logged_out")
        user_login_failed.connect(security.on_login_failed, dispatch_uid="core.security.on_login_failed")
        user_locked_out.connect(security.on_locked_out, dispatch_uid="core.security.on_locked_out")
        User = get_user_model()
        pre_save.connect(sessions.before_user_save, sender=User, dispatch_uid="core.sessions.before_user_save")
        post_save.connect(sessions.after_user_save, sender=User, dispatch_uid="core.sessions.after_user_save")
