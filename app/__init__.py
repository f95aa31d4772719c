"""Application factory: a table of contents of what the app is made of."""

import os

from flask import Flask

from config import CONFIGS


def create_app(config_name: str | None = None, test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    name = config_name or os.environ.get("APP_ENV", "development")
    app.config.from_object(CONFIGS[name]())
    if test_config:
        app.config.update(test_config)

    register_proxy_fix(app)
    register_request_guards(app)
    register_extensions(app)
    register_i18n(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_deadline_watches(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    """Behind a proxy, per-IP throttles must see the resident's address, not the proxy's."""
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from app.accounts.sms import init_sms
    from app.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("请先登录。")
    login_manager.login_message_category = "error"
    init_sms(app)


def register_i18n(app: Flask) -> None:
    from app.i18n import init_i18n

    init_i18n(app)


def register_request_guards(app: Flask) -> None:
    from app.request_guards import register_request_guards as register

    register(app)


def register_blueprints(app: Flask) -> None:
    from app.accounts.routes import bp as accounts_bp
    from app.api.routes import bp as api_bp
    from app.dashboard.routes import bp as dashboard_bp
    from app.lab.routes import bp as lab_bp
    from app.publishing.routes import bp as publishing_bp
    from app.reference.routes import bp as reference_bp
    from app.sampling.routes import bp as sampling_bp
    from app.sampling.routes import public_bp as tracking_bp
    from app.scheduling.routes import bp as scheduling_bp
    from app.voting.routes import bp as voting_bp
    from app.voting.routes import staff_bp as voting_staff_bp

    app.register_blueprint(voting_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(reference_bp)
    app.register_blueprint(voting_staff_bp)
    app.register_blueprint(scheduling_bp)
    app.register_blueprint(sampling_bp)
    app.register_blueprint(tracking_bp)
    app.register_blueprint(lab_bp)
    app.register_blueprint(publishing_bp)
    app.register_blueprint(api_bp)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register_errorhandlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.i18n import register_template_helpers as register

    register(app)


def register_deadline_watches(app: Flask) -> None:
    """Every step's deadlines, for the scheduler's deadline-watch job (later steps add theirs)."""
    from app.lab.services import watch_deadlines as lab_deadlines
    from app.sampling.services import watch_deadlines as samples_late_to_lab
    from app.scheduling.services import watch_deadlines as tasks_overdue

    app.extensions["deadline_watches"] = [tasks_overdue, samples_late_to_lab, lab_deadlines]


def register_commands(app: Flask) -> None:
    from app.accounts.commands import users_cli
    from app.doctor import doctor_command
    from app.lab.commands import lab_cli
    from app.reference.commands import seed_cli
    from app.sampling.commands import custody_cli
    from app.scheduling.commands import rounds_cli, scheduler_cli

    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(rounds_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(doctor_command)
    app.cli.add_command(custody_cli)
    app.cli.add_command(lab_cli)
