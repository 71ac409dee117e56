#!/usr/bin/env node
// The `idp` command. Runs the compiled CLI (cli/dist, built with `tsc -b cli`); never a TS loader.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
