"""The emulator's HTTP face: the ASGI app, request parsing and answers, SSE framing, the
control endpoints, who may connect, and the server that runs it. Nothing here changes state.
"""
