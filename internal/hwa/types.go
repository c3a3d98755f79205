package hwa

// The objects of the V2 API resync reads: the fields that matter, named
// exactly as the API names them (all optional in HCL's spec, hence omitempty).
// The simulator marshals these same types, so they are the one schema.

// EngineInfo is EngineInfoV2 (engine/info).
type EngineInfo struct {
	DisplayVersion string         `json:"displayVersion,omitempty"`
	FullVersion    string         `json:"fullVersion,omitempty"`
	Capabilities   map[string]any `json:"capabilities,omitempty"`
	ReferenceID    string         `json:"referenceId,omitempty"`
	LicenseType    string         `json:"licenseType,omitempty"`
	Locale         string         `json:"locale,omitempty"`
	Timezone       string         `json:"timezone,omitempty"`
}

// Workstation is WorkstationInPlanV2. Link state is in ActiveStates (there is
// no linkStatus field): see Online.
type Workstation struct {
	ID           string   `json:"id,omitempty"`
	Name         string   `json:"name,omitempty"`
	Folder       string   `json:"folder,omitempty"`
	Key          string   `json:"key,omitempty"`
	Description  string   `json:"description,omitempty"`
	Type         string   `json:"type,omitempty"`
	HostType     string   `json:"hostType,omitempty"`
	OS           string   `json:"os,omitempty"`
	NodeName     string   `json:"nodeName,omitempty"`
	TCPPort      int      `json:"tcpPort,omitempty"`
	SSLPort      int      `json:"sslPort,omitempty"`
	DomainName   string   `json:"domainName,omitempty"`
	Limit        int      `json:"limit,omitempty"`
	Fence        int      `json:"fence,omitempty"`
	AgentID      string   `json:"agentId,omitempty"`
	Version      string   `json:"version,omitempty"`
	TimeStarted  string   `json:"timeStarted,omitempty"`
	ActiveStates []string `json:"activeStates,omitempty"`
	ActiveFlags  []string `json:"activeFlags,omitempty"`
}

// Online reports whether the workstation is linked: LINKED or one of the
// *_LINKED states is among its active states.
func (w *Workstation) Online() bool {
	for _, s := range w.ActiveStates {
		switch s {
		case "LINKED", "FULLY_LINKED", "DIRECTLY_LINKED", "HOST_LINKED":
			return true
		}
	}
	return false
}

// CompositeStatus is a job's (or run's) JobInPlanCompositeStatusV2.
type CompositeStatus struct {
	Status        string `json:"status,omitempty"`
	Substatus     string `json:"substatus,omitempty"`
	Canceled      bool   `json:"canceled,omitempty"`
	Error         bool   `json:"error,omitempty"`
	Started       bool   `json:"started,omitempty"`
	CancelPending bool   `json:"cancelPending,omitempty"`
	DontRun       bool   `json:"dontRun,omitempty"`
}

// JobStatusFlags are the flags of a job in the plan.
type JobStatusFlags struct {
	JobLate           bool `json:"jobLate,omitempty"`
	DeadlineHasPassed bool `json:"deadlineHasPassed,omitempty"`
	Restarted         bool `json:"restarted,omitempty"`
}

// JobOptions are a job's options.
type JobOptions struct {
	Critical bool   `json:"critical,omitempty"`
	Every    string `json:"every,omitempty"`
}

// JobDefinition is the definition a job in the plan runs.
type JobDefinition struct {
	Name    string `json:"name,omitempty"`
	Task    string `json:"task,omitempty"`
	Command bool   `json:"command,omitempty"`
}

// Dependency is DependencyInPlanV2, with the fields HCL's examples add.
type Dependency struct {
	DependencyType       string `json:"dependencyType,omitempty"`
	ID                   string `json:"id,omitempty"`
	DependencyStatus     string `json:"dependencyStatus,omitempty"`
	Satisfied            bool   `json:"satisfied"`
	Mandatory            bool   `json:"mandatory,omitempty"`
	DepSequence          int    `json:"depSequence,omitempty"`
	JobID                string `json:"jobId,omitempty"`
	JobName              string `json:"jobName,omitempty"`
	JobStreamID          string `json:"jobStreamId,omitempty"`
	JobStreamName        string `json:"jobStreamName,omitempty"`
	JobStreamWorkstation string `json:"jobStreamWorkstation,omitempty"`
}

// DependenciesStats counts a node's dependencies.
type DependenciesStats struct {
	Total       int `json:"total"`
	Satisfied   int `json:"satisfied"`
	Unsatisfied int `json:"unsatisfied"`
}

// TimeInfo is TimeInfoV2; durations are ISO 8601 (PT5M30S).
type TimeInfo struct {
	EstimatedDuration string `json:"estimatedDuration,omitempty"`
	ActualStartTime   string `json:"actualStartTime,omitempty"`
	ElapsedTime       string `json:"elapsedTime,omitempty"`
	ActualEndTime     string `json:"actualEndTime,omitempty"`
}

// JobRun is JobRunInstanceV2, one run of a job.
type JobRun struct {
	ID                string          `json:"id,omitempty"`
	JobID             string          `json:"jobId,omitempty"`
	JobNumber         int             `json:"jobNumber,omitempty"`
	ActualWorkstation string          `json:"actualWorkstation,omitempty"`
	CompositeStatus   CompositeStatus `json:"compositeStatus"`
	CommonStatus      string          `json:"commonStatus,omitempty"`
	ReturnCode        *int            `json:"returnCode,omitempty"`
	RunAttempt        int             `json:"runAttempt,omitempty"`
	RerunType         string          `json:"rerunType,omitempty"`
	SubmittedTime     string          `json:"submittedTime,omitempty"`
	TimeInfo          TimeInfo        `json:"timeInfo"`
}

// Job is JobInPlanV2.
type Job struct {
	ID                     string            `json:"id,omitempty"`
	Name                   string            `json:"name,omitempty"`
	Folder                 string            `json:"folder,omitempty"`
	Workstation            string            `json:"workstation,omitempty"`
	WorkstationID          string            `json:"workstationId,omitempty"`
	JobStreamID            string            `json:"jobStreamId,omitempty"`
	JobStreamName          string            `json:"jobStreamName,omitempty"`
	JobStreamWorkstation   string            `json:"jobStreamWorkstation,omitempty"`
	Key                    string            `json:"key,omitempty"`
	Position               int               `json:"position,omitempty"`
	Priority               int               `json:"priority,omitempty"`
	SchedTime              string            `json:"schedTime,omitempty"`
	EndTime                string            `json:"endTime,omitempty"`
	TimeZone               string            `json:"timeZone,omitempty"`
	LastRunCommonStatus    string            `json:"lastRunCommonStatus,omitempty"`
	LastRunCompositeStatus CompositeStatus   `json:"lastRunCompositeStatus"`
	JobStatusFlags         JobStatusFlags    `json:"jobStatusFlags"`
	JobOptions             JobOptions        `json:"jobOptions"`
	JobDefinition          JobDefinition     `json:"jobDefinition"`
	Dependencies           []Dependency      `json:"dependencies,omitempty"`
	DependenciesStats      DependenciesStats `json:"dependenciesStats"`
	JobRuns                []JobRun          `json:"jobruns,omitempty"`
	FlowNodeType           string            `json:"flowNodeType,omitempty"`
}

// Status is the job's status (its last run's composite status).
func (j *Job) Status() string { return j.LastRunCompositeStatus.Status }

// LastRun is the job's latest run, or nil before it ran.
func (j *Job) LastRun() *JobRun {
	if len(j.JobRuns) == 0 {
		return nil
	}
	return &j.JobRuns[len(j.JobRuns)-1]
}

// JobStreamStats are a job stream's job counts, spelled as the API spells them.
type JobStreamStats struct {
	NumberOfJob           int `json:"numberOfJob"`
	NumberOfSuccessfulJob int `json:"numberOfSuccessfullJob"`
	NumberOfExecutingJob  int `json:"numberOfExecutingJob"`
	NumberOfAbendedJob    int `json:"numberOfAbendedJob"`
	NumberOfFailedJob     int `json:"numberOfFailedJob"`
	NumberOfNotRunningJob int `json:"numberOfNotRunningJob"`
	NumberOfUndecidedJob  int `json:"numberOfUndecidedJob"`
}

// JobStreamCompositeStatus is a job stream's composite status.
type JobStreamCompositeStatus struct {
	Status    string `json:"status,omitempty"`
	Substatus string `json:"substatus,omitempty"`
}

// JobStream is JobStreamInPlanV2.
type JobStream struct {
	ID                    string                   `json:"id,omitempty"`
	Name                  string                   `json:"name,omitempty"`
	OriginalJobStreamName string                   `json:"originalJobStreamName"`
	Folder                string                   `json:"folder,omitempty"`
	Workstation           string                   `json:"workstation,omitempty"`
	SchedTime             string                   `json:"schedTime,omitempty"`
	ScheduledDate         string                   `json:"scheduledDate,omitempty"`
	CommonStatus          string                   `json:"commonStatus,omitempty"`
	CompositeStatus       JobStreamCompositeStatus `json:"compositeStatus"`
	Priority              int                      `json:"priority,omitempty"`
	Limit                 int                      `json:"limit,omitempty"`
	Dependencies          []Dependency             `json:"dependencies,omitempty"`
	TimeInfo              TimeInfo                 `json:"timeInfo"`
	Submitter             string                   `json:"submitter,omitempty"`
	JobStreamStats        JobStreamStats           `json:"jobStreamStats"`
	FlowNodeType          string                   `json:"flowNodeType,omitempty"`
}

// FlowNode is FlowNodeInPlanV2: an entry of a predecessors/successors list.
type FlowNode struct {
	ID           string       `json:"id,omitempty"`
	Name         string       `json:"name,omitempty"`
	Folder       string       `json:"folder,omitempty"`
	Workstation  string       `json:"workstation,omitempty"`
	SchedTime    string       `json:"schedTime,omitempty"`
	FlowNodeType string       `json:"flowNodeType,omitempty"`
	Priority     int          `json:"priority,omitempty"`
	Dependencies []Dependency `json:"dependencies,omitempty"`
}

// FlowNode is the job as the engine's predecessors and successors list it.
func (j *Job) FlowNode() FlowNode {
	return FlowNode{ID: j.ID, Name: j.Name, Folder: j.Folder, Workstation: j.Workstation,
		SchedTime: j.SchedTime, FlowNodeType: "JOB", Priority: j.Priority, Dependencies: j.Dependencies}
}

// ResourceHolder is a job holding some of a resource.
type ResourceHolder struct {
	JobID     string `json:"jobId,omitempty"`
	Job       string `json:"job,omitempty"`
	JobStream string `json:"jobStream,omitempty"`
	Quantity  int    `json:"quantity"`
	Shared    bool   `json:"shared"`
}

// Resource is ResourceInPlanV2.
type Resource struct {
	ID                string           `json:"id,omitempty"`
	Name              string           `json:"name,omitempty"`
	Folder            string           `json:"folder,omitempty"`
	Workstation       string           `json:"workstation,omitempty"`
	Description       string           `json:"description,omitempty"`
	Quantity          int              `json:"quantity"`
	QuantityAvailable int              `json:"quantityAvailable"`
	QuantityInUse     int              `json:"quantityInUse"`
	Holders           []ResourceHolder `json:"holders,omitempty"`
	Status            string           `json:"status,omitempty"`
}

// List is the paginated envelope of every list: count is the total found
// (all pages), results this page; next and previous are URLs or absent.
type List[T any] struct {
	Count    int    `json:"count"`
	Results  []T    `json:"results"`
	Next     string `json:"next,omitempty"`
	Previous string `json:"previous,omitempty"`
}
