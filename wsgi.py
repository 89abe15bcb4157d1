"""The app for every process: `flask --app wsgi ...` (the web in development, the worker, the
commands) and gunicorn (`wsgi:app`)."""
import gc

# Building the app makes tens of thousands of objects that live as long as the process: the
# collector's passes over them while the modules load find nothing to free, and cost a fifth
# of a start's CPU (each worker, each command). Collection is off while the app is built, and
# what was built is then left out of every later pass (gc.freeze).
gc.disable()
from intake import create_app  # noqa: E402  (imported with the collector off)

app = create_app()
gc.freeze()
gc.enable()
