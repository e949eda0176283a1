import { describe, expect, it } from 'vitest';
import { taskNotificationSummary } from './taskNotification.ts';

const told = (body: string) => `<task-notification>\n${body}\n</task-notification>`;

describe('taskNotificationSummary: the prompt the CLI submits itself when a background command ends', () => {
  it('is its summary, as the screen shows it', () => {
    const prompt = told(
      '<task-id>b7eicn04g</task-id>\n<tool-use-id>toolu_1</tool-use-id>\n<output-file>/tmp/x.output</output-file>\n<status>completed</status>\n<summary>Background command "Run the check" completed (exit code 0)</summary>',
    );
    expect(taskNotificationSummary(prompt)).toBe('Background command "Run the check" completed (exit code 0)');
  });

  it('says a command ended when the CLI gave no summary', () => {
    expect(taskNotificationSummary(told('<task-id>b1</task-id>\n<status>failed</status>'))).toBe(
      'A command run in the background has ended.',
    );
  });

  it('is null for a prompt a person typed, even one that mentions a notification', () => {
    expect(taskNotificationSummary('what does <task-notification> mean?')).toBeNull();
    expect(taskNotificationSummary(`${told('<summary>x</summary>')} and more`)).toBeNull();
    expect(taskNotificationSummary('run the check in the background')).toBeNull();
  });
});
