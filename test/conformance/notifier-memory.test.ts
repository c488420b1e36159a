import { MemoryNotifier } from '../../src/jobs/notifiers/memory.js';
import { notifierSuite } from './notifier-suite.js';

notifierSuite('in-process', { open: async () => new MemoryNotifier(), shared: false });
