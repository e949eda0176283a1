import { runMain } from '@mission/store';
import { runUp } from '../packages/cli/src/startAll.ts';

/** `npm start`: the whole system in one process on embedded defaults, as `mission up` runs it (packages/cli/src/startAll.ts). */
runMain(() => runUp(process.env));
