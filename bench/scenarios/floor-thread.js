/** One worker thread of the floor on N threads (scenarios/floor.js with params.threads). */
import { parentPort, workerData } from 'node:worker_threads'
import { floor } from '../lib/floor-work.js'

parentPort.postMessage(await floor(workerData.files, workerData.stringify))
