/** The side effect holding a submit task's result in words, shown by `loopwright task(s)`. */
export const RESULT_SIDE_EFFECT = "result";
