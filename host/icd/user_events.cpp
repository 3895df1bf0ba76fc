// User events, event callbacks and the commands that wait for user events.
//
// Commands run when they are enqueued (kernels: when the host next waits), except
// those whose wait list holds an event that only the host can complete: a user
// event, or the event of a command held back itself. Such a command, and every
// later one of its in-order queue, is held in the queue's `deferred` list and runs
// when clSetUserEventStatus completes what it waits for. Its caller gets a
// placeholder event that forwards to the command's own event once it has run.
#include <algorithm>
#include <condition_variable>

#include "icd/util.hpp"

using namespace tessera::icd;

namespace tessera::icd {
namespace {

std::condition_variable_any& progress() {
  static std::condition_variable_any condition;
  return condition;
}

// Queues holding deferred commands.
std::vector<cl_command_queue>& waiting_queues() {
  static auto* queues = new std::vector<cl_command_queue>;
  return *queues;
}

// Runs the queue's deferred commands whose waits are complete; true if one ran.
bool run_ready(cl_command_queue queue) {
  bool ran = false;
  while (!queue->deferred.empty()) {
    _cl_command_queue::Deferred& next = queue->deferred.front();
    if (std::any_of(next.waits.begin(), next.waits.end(), held_by_host)) break;
    const bool failed_wait = std::any_of(next.waits.begin(), next.waits.end(),
                                         [](cl_event e) { return resolved(e)->status < 0; });
    _cl_command_queue::Deferred command = std::move(next);
    queue->deferred.pop_front();
    ran = true;
    const cl_event placeholder = command.placeholder;  // null: the caller wanted none
    if (failed_wait) {
      if (placeholder != nullptr)
        set_status(placeholder, CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
      continue;
    }
    cl_event own = nullptr;
    const cl_int result = command.run(placeholder != nullptr ? &own : nullptr);
    if (placeholder == nullptr) continue;
    if (result != CL_SUCCESS || own == nullptr) {
      set_status(placeholder, result != CL_SUCCESS ? result : CL_OUT_OF_RESOURCES);
      continue;
    }
    // The placeholder owns the command's event from now on (release_event), and the
    // caller's callbacks move to it, which fires them.
    placeholder->forward = own;
    std::vector<_cl_event::Callback> callbacks;
    callbacks.swap(placeholder->callbacks);
    for (const auto& c : callbacks) add_callback(own, c);
    if (!placeholder->alive) release_event(own);  // the caller released it already
  }
  return ran;
}

}  // namespace

bool held_by_host(cl_event event) {
  const cl_event e = resolved(event);
  return e->status > CL_COMPLETE && (e->type == CL_COMMAND_USER || e->status == CL_QUEUED);
}

cl_event resolved(cl_event event) {
  while (event->forward != nullptr) event = event->forward;
  return event;
}

void add_callback(cl_event event, const _cl_event::Callback& callback) {
  const cl_event e = resolved(event);
  if (e->status <= callback.on_status) {
    callback.notify(callback.handle, e->status, callback.user_data);
  } else {
    e->callbacks.push_back(callback);
  }
}

void set_status(cl_event event, cl_int status) {
  const cl_event e = resolved(event);
  e->status = status;
  std::vector<_cl_event::Callback> due;
  auto& pending = e->callbacks;
  const auto reached = [&](const _cl_event::Callback& c) { return status <= c.on_status; };
  std::copy_if(pending.begin(), pending.end(), std::back_inserter(due), reached);
  pending.erase(std::remove_if(pending.begin(), pending.end(), reached), pending.end());
  for (const auto& c : due) c.notify(c.handle, status, c.user_data);
  progress().notify_all();
}

bool is_deferred(cl_command_queue queue, cl_uint count, const cl_event* events) {
  return !queue->deferred.empty() || std::any_of(events, events + count, held_by_host);
}

cl_int enqueue(cl_command_queue queue, cl_command_type type, cl_uint count, const cl_event* events,
               cl_event* event, std::function<cl_int(cl_event*)> command) {
  if (!is_deferred(queue, count, events)) {
    if (const cl_int e = complete(count, events); e != CL_SUCCESS) return e;
    return command(event);
  }
  const cl_event placeholder =
      event != nullptr ? new_event(queue->context, queue, type, CL_QUEUED) : nullptr;
  queue->deferred.push_back({{events, events + count}, placeholder, std::move(command)});
  auto& queues = waiting_queues();
  if (std::find(queues.begin(), queues.end(), queue) == queues.end()) queues.push_back(queue);
  if (event != nullptr) *event = placeholder;
  return CL_SUCCESS;
}

void run_deferred() {
  auto& queues = waiting_queues();
  for (bool ran = true; ran;) {  // a command that runs may release another queue's
    ran = false;
    // A copy: an event callback that runs meanwhile may defer work on another queue.
    const std::vector<cl_command_queue> now = queues;
    for (cl_command_queue queue : now) ran = run_ready(queue) || ran;
  }
  queues.erase(std::remove_if(queues.begin(), queues.end(),
                              [](cl_command_queue q) { return q->deferred.empty(); }),
               queues.end());
}

void wait_for_host(std::unique_lock<std::recursive_mutex>& lock,
                   const std::function<bool()>& done) {
  progress().wait(lock, done);
}

}  // namespace tessera::icd

namespace tessera::icd::api {

cl_event CL_API_CALL clCreateUserEvent(cl_context context, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return set_error(errcode_ret, CL_INVALID_CONTEXT), nullptr;
  cl_event event = new_event(context, nullptr, CL_COMMAND_USER, CL_SUBMITTED);
  set_error(errcode_ret, CL_SUCCESS);
  return event;
}

cl_int CL_API_CALL clSetUserEventStatus(cl_event event, cl_int status) {
  std::lock_guard lock(api_mutex());
  if (!valid(event) || event->type != CL_COMMAND_USER) return CL_INVALID_EVENT;
  if (status != CL_COMPLETE && status >= 0) return CL_INVALID_VALUE;
  if (event->status <= CL_COMPLETE) return CL_INVALID_OPERATION;  // set once only
  set_status(event, status);
  run_deferred();
  return CL_SUCCESS;
}

cl_int CL_API_CALL clSetEventCallback(cl_event event, cl_int on_status,
                                      void(CL_CALLBACK* notify)(cl_event, cl_int, void*),
                                      void* user_data) {
  std::lock_guard lock(api_mutex());
  if (!valid(event)) return CL_INVALID_EVENT;
  if (notify == nullptr ||
      (on_status != CL_SUBMITTED && on_status != CL_RUNNING && on_status != CL_COMPLETE)) {
    return CL_INVALID_VALUE;
  }
  add_callback(event, {on_status, notify, user_data, event});
  return CL_SUCCESS;
}

}  // namespace tessera::icd::api

TESSERA_ICD_ENTRY(clCreateUserEvent)
TESSERA_ICD_ENTRY(clSetUserEventStatus)
TESSERA_ICD_ENTRY(clSetEventCallback)
