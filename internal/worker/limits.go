package worker

import "github.com/resync/resync/internal/httpapi"

const maxHeaderBytes = httpapi.MaxHeaderBytes
