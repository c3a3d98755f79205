# The guide's stack for the same endpoint: FastAPI under gunicorn's uvicorn
# workers (uvloop, httptools). The answer has resync's shape.
import os
from datetime import datetime, timezone

from fastapi import FastAPI, Response

app = FastAPI()

# The cached TWS status: the answer resync gave, served from memory.
with open(os.environ["BENCH_TWS_BODY"], "rb") as f:
    TWS_STATUS = f.read()


@app.get("/api/v1/tws/status")
async def tws_status():
    return Response(content=TWS_STATUS, media_type="application/json")


@app.get("/api/v1/health/live")
async def live():
    return {"status": "alive", "timestamp": datetime.now(timezone.utc).isoformat()}
