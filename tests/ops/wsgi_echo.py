"""A WSGI app for the gunicorn tests: echoes the SCRIPT_NAME and PATH_INFO gunicorn built."""


def app(environ, start_response):
    body = f"{environ.get('SCRIPT_NAME', '')}|{environ.get('PATH_INFO', '')}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Request-ID", "req-echo-1234")])
    return [body]
