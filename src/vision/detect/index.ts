/** Finding the dogs in a photo: a detector's boxes, as candidates for the breed classifier. */
export { type Detection, iou, padBox, suppressOverlaps } from './boxes.ts';
export { Detector } from './detector.ts';
export { decodeYolox, letterboxScale, letterboxTensor } from './yolox.ts';
