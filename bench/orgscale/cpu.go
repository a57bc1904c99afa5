package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// motoCPU is the CPU time (user + system) moto has used so far: the
// python3 child of this process running mototest's script. Linux only;
// zero elsewhere.
func motoCPU() time.Duration {
	entries, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if !strings.Contains(string(cmdline), "forcessl-moto-") {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// After "pid (comm)": state ppid ... utime (14th field) stime (15th).
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		if len(f) < 13 || f[1] != self {
			continue
		}
		utime, _ := strconv.Atoi(f[11])
		stime, _ := strconv.Atoi(f[12])
		return time.Duration(utime+stime) * time.Second / clockTicks
	}
	return 0
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100
