import { App } from 'aws-cdk-lib';
import { defineBuildsApp } from '../lib/builds-app';

defineBuildsApp(new App());
