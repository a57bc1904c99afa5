package fakeaws

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

func (f *AWS) CreateSchedule(_ context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("CreateSchedule"); err != nil {
		return nil, err
	}
	if _, ok := f.Schedules[aws.ToString(in.Name)]; ok {
		return nil, APIError("ConflictException")
	}
	f.Schedules[aws.ToString(in.Name)] = in
	return &scheduler.CreateScheduleOutput{}, nil
}

func (f *AWS) GetSchedule(_ context.Context, in *scheduler.GetScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("GetSchedule"); err != nil {
		return nil, err
	}
	s, ok := f.Schedules[aws.ToString(in.Name)]
	if !ok {
		return nil, APIError("ResourceNotFoundException")
	}
	return &scheduler.GetScheduleOutput{State: s.State, Name: s.Name, ScheduleExpression: s.ScheduleExpression, Target: s.Target}, nil
}

func (f *AWS) ListSchedules(_ context.Context, in *scheduler.ListSchedulesInput, _ ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("ListSchedules"); err != nil {
		return nil, err
	}
	out := &scheduler.ListSchedulesOutput{}
	for _, name := range slices.Sorted(maps.Keys(f.Schedules)) {
		if strings.HasPrefix(name, aws.ToString(in.NamePrefix)) {
			out.Schedules = append(out.Schedules, schedtypes.ScheduleSummary{Name: aws.String(name)})
		}
	}
	return out, nil
}

func (f *AWS) DeleteSchedule(_ context.Context, in *scheduler.DeleteScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DeleteSchedule"); err != nil {
		return nil, err
	}
	if _, ok := f.Schedules[aws.ToString(in.Name)]; !ok {
		return nil, APIError("ResourceNotFoundException")
	}
	delete(f.Schedules, aws.ToString(in.Name))
	return &scheduler.DeleteScheduleOutput{}, nil
}

// Schedule returns the schedule of that name, if any.
func (f *AWS) Schedule(name string) (*scheduler.CreateScheduleInput, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.Schedules[name]
	return s, ok
}

// Take removes a schedule as Scheduler does once it fired
// (ActionAfterCompletion DELETE) and returns it.
func (f *AWS) Take(name string) (*scheduler.CreateScheduleInput, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.Schedules[name]
	delete(f.Schedules, name)
	return s, ok
}

// Names lists the schedules whose names start with prefix, sorted.
func (f *AWS) Names(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, name := range slices.Sorted(maps.Keys(f.Schedules)) {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	return out
}
