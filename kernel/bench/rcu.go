// rcu.go: benchmarks of the RCU issue.

package bench

import (
	"io"
	"sync"
	"time"

	"retract/rcu"
)

func init() {
	Register(Bench{Name: "rcu_sync_us", Doc: "Synchronize latency", Run: rcuSync})
	Register(Bench{Name: "rcu_sync_expedited_us", Doc: "SynchronizeExpedited latency", Run: rcuSyncExp})
	Register(Bench{Name: "rcu_call_throughput_per_s", Doc: "callbacks queued and invoked per second", Run: rcuCall})
	Register(Bench{Name: "rcu_read_lock_ns", Doc: "uncontended ReadLock+ReadUnlock", Run: rcuRead})
}

func avg(n int, f func()) time.Duration {
	start := time.Now()
	for i := 0; i < n; i++ {
		f()
	}
	return time.Since(start) / time.Duration(n)
}

func rcuSync(w io.Writer) error {
	rcu.Synchronize()
	Line(w, "rcu_sync_us", float64(avg(50, rcu.Synchronize).Nanoseconds())/1e3, "us")
	return nil
}

func rcuSyncExp(w io.Writer) error {
	rcu.SynchronizeExpedited()
	Line(w, "rcu_sync_expedited_us", float64(avg(200, rcu.SynchronizeExpedited).Nanoseconds())/1e3, "us")
	return nil
}

func rcuCall(w io.Writer) error {
	const n = 200000
	heads := make([]rcu.Head, n)
	var wg sync.WaitGroup
	wg.Add(n)
	done := func(*rcu.Head) { wg.Done() }
	start := time.Now()
	for i := range heads {
		rcu.Call(&heads[i], done)
	}
	wg.Wait()
	Line(w, "rcu_call_throughput_per_s", n/time.Since(start).Seconds(), "/s")
	return nil
}

func rcuRead(w io.Writer) error {
	const n = 2_000_000
	start := time.Now()
	for i := 0; i < n; i++ {
		rcu.ReadLock()
		rcu.ReadUnlock()
	}
	Line(w, "rcu_read_lock_ns", float64(time.Since(start).Nanoseconds())/n, "ns")
	return nil
}
