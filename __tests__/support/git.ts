// git as the tests' throwaway repositories run it: a fixed author, output trimmed, errors thrown with git's stderr.
import { execFileSync } from 'node:child_process'

const AUTHOR = ['-c', 'user.email=dev@example.invalid', '-c', 'user.name=dev']

export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', [...AUTHOR, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim()
