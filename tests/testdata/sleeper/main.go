// Command sleeper is the user process TestGDB looks at from gdb: it starts
// a few threads, says it is ready and sleeps until it is killed.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

func main() {
	ready := make(chan struct{})
	for i := 0; i < 2; i++ {
		go func() {
			runtime.LockOSThread() // a thread of its own
			ready <- struct{}{}
			for {
				time.Sleep(time.Second)
			}
		}()
	}
	<-ready
	<-ready
	fmt.Fprintf(os.Stdout, "sleeper: ready, pid %d\n", os.Getpid())
	for {
		time.Sleep(time.Hour)
	}
}
