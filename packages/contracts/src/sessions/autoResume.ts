/**
 * The prompt that goes on with a turn its worker's loss stopped at a permission request (the tool never ran):
 * the resumed CLI does not ask again by itself, so it is told to go on, and asks again — a new approval.
 */
export const CONTINUE_AFTER_LOSS_PROMPT =
  'Your session was interrupted while it waited for a permission and has been resumed. Continue the task you were working on; do not repeat work that is already complete.';
