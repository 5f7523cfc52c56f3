/** `node --import` this file to log the modules a process loads (see hooks.mjs). */
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
