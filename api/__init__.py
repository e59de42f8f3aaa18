"""Flask blueprints of the web process: the admin JSON API, the status page and the health
check. app.web.create_app() registers them."""

from api.dashboard import blueprint as dashboard_blueprint
from api.health import blueprint as health_blueprint
from api.page import blueprint as page_blueprint
from api.pin_jobs import blueprint as pin_jobs_blueprint
from api.reconciliation import blueprint as reconciliation_blueprint

BLUEPRINTS = (
    reconciliation_blueprint,
    pin_jobs_blueprint,
    dashboard_blueprint,
    health_blueprint,
    page_blueprint,
)

__all__ = ["BLUEPRINTS"]
