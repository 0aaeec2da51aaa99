package experiments

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Service carries out every operation on the domain, each in one store transaction, and holds
// the rules: what is valid, and what may change in which status.
type Service struct {
	store  Store
	now    func() time.Time
	freeze ReportFreezer // the report frozen when an experiment concludes
	sizer  PlanSizer     // sizes the plan of an experiment that starts without one
}

// NewService returns a Service on store. now is the clock, read to Precision; nil means
// time.Now. freeze makes the report that concluding an experiment keeps; nil keeps none. sizer
// sizes the plan of an experiment that starts without one; nil leaves such an experiment
// unplanned.
func NewService(store Store, now func() time.Time, freeze ReportFreezer, sizer PlanSizer) *Service {
	if now == nil {
		now = time.Now
	}
	clock := func() time.Time { return now().Truncate(Precision) }
	return &Service{store: store, now: clock, freeze: freeze, sizer: sizer}
}

// Store returns the store the service runs on.
func (s *Service) Store() Store { return s.store }

// Now returns the service clock's current time in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Principal is who is acting: an API key of one workspace with one role.
type Principal struct {
	WorkspaceID string
	KeyID       string
	Role        Role
}

// NewID returns a time-ordered UUIDv7, so that id order is creation order.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Ping checks the database.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// tx runs fn in one store transaction.
func (s *Service) tx(ctx context.Context, fn func(Tx) error) error { return s.store.Tx(ctx, fn) }

// read runs fn, which only reads, in one Store.Read.
func (s *Service) read(ctx context.Context, fn func(Tx) error) error { return s.store.Read(ctx, fn) }
