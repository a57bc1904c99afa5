package fakeaws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
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
	if f.Vanish {
		f.Vanish = false
		delete(f.Schedules, aws.ToString(in.Name))
	}
	s, ok := f.Schedules[aws.ToString(in.Name)]
	if !ok {
		return nil, APIError("ResourceNotFoundException")
	}
	return &scheduler.GetScheduleOutput{State: s.State, Name: s.Name, ScheduleExpression: s.ScheduleExpression, Target: s.Target}, nil
}

func (f *AWS) UpdateSchedule(_ context.Context, in *scheduler.UpdateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("UpdateSchedule"); err != nil {
		return nil, err
	}
	f.Schedules[aws.ToString(in.Name)] = &scheduler.CreateScheduleInput{Name: in.Name, ScheduleExpression: in.ScheduleExpression, Target: in.Target, State: in.State}
	return &scheduler.UpdateScheduleOutput{}, nil
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
